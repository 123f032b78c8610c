/*
 * virtio-blk over legacy virtio-PCI (the "transitional" device QEMU shows
 * as vendor 0x1AF4, device 0x1001), polled, one request queue.
 *
 * The driver and the device share a virtqueue in guest memory, three parts
 * in physically contiguous pages (legacy layout, 4 KiB alignment):
 *
 *   desc[N]   {addr, len, flags, next}  buffers, chained by NEXT
 *   avail     {flags, idx, ring[N]}     driver -> device: heads of chains
 *   used      {flags, idx, ring[N]}     device -> driver: finished chains
 *
 * A request is a chain of three kinds of buffer: a header {type, sector},
 * the data (split at page boundaries, since each descriptor is one
 * physically contiguous run), and one status byte the device writes.
 * We publish the chain in avail, write the queue number to the notify
 * register, and spin until used->idx moves. No interrupts: the kernel has
 * no IOAPIC routing yet, and a polled driver is short enough to read in one
 * sitting. The block layer's per-device lock serialises requests, so one
 * chain is in flight at a time.
 */
#include <arch/pci.h>
#include <arch/io.h>
#include <arch/paging.h>
#include <kernel/blkdev.h>
#include <kernel/errno.h>
#include <kernel/pmm.h>
#include <kernel/printk.h>
#include <kernel/slab.h>
#include <kernel/string.h>

/* Legacy virtio-PCI registers, offsets in I/O BAR 0. */
#define VIO_DEV_FEATURES   0x00
#define VIO_GUEST_FEATURES 0x04
#define VIO_QUEUE_PFN      0x08
#define VIO_QUEUE_SIZE     0x0C
#define VIO_QUEUE_SEL      0x0E
#define VIO_QUEUE_NOTIFY   0x10
#define VIO_STATUS         0x12
#define VIO_CONFIG         0x14    /* virtio-blk: u64 capacity (sectors) */

#define VIO_S_ACK       1
#define VIO_S_DRIVER    2
#define VIO_S_DRIVER_OK 4
#define VIO_S_FAILED    128

#define VIRTIO_BLK_F_FLUSH 9

#define VRING_DESC_F_NEXT  1
#define VRING_DESC_F_WRITE 2       /* the device writes this buffer */
#define VRING_AVAIL_F_NO_INTERRUPT 1

#define VIRTIO_BLK_T_IN    0
#define VIRTIO_BLK_T_OUT   1
#define VIRTIO_BLK_T_FLUSH 4
#define SECTOR 512

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtio_blk_req {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

struct vblk {
	struct blkdev dev;
	uint16_t iobase;
	uint16_t qsize;
	uint16_t last_used;        /* used->idx we have consumed up to */
	bool can_flush;
	struct vring_desc *desc;
	volatile uint16_t *avail;  /* [0] flags, [1] idx, [2..] ring */
	volatile uint16_t *used;   /* [0] flags, [1] idx, then elems */
	struct virtio_blk_req hdr; /* DMA'd: lives in kmalloc'd memory */
	volatile uint8_t status;
};

static int nr_vblk;

/* Bytes for a legacy vring of n entries (virtio 1.0 section 2.4.2). */
static uint64_t vring_bytes(uint16_t n, uint64_t *used_off)
{
	*used_off = ALIGN_UP(16UL * n + 2 * (3 + n), PAGE_SIZE);
	return *used_off + ALIGN_UP(2 * 3 + 8UL * n, PAGE_SIZE);
}

static void set_desc(struct vblk *v, int i, const void *buf, uint32_t len,
		     uint16_t flags)
{
	v->desc[i].addr = virt_to_phys(buf);
	v->desc[i].len = len;
	v->desc[i].flags = flags;
	v->desc[i].next = (uint16_t)(i + 1);
}

/* Descriptors 1.. for buf, one per physically contiguous page piece. */
static int add_data(struct vblk *v, char *buf, uint64_t len, bool dev_writes)
{
	int i = 1;

	while (len) {
		uint64_t piece = MIN(len, PAGE_SIZE - ((uint64_t)buf & (PAGE_SIZE - 1)));

		if (i >= v->qsize - 1)
			return -1;
		set_desc(v, i++, buf, (uint32_t)piece,
			 VRING_DESC_F_NEXT | (dev_writes ? VRING_DESC_F_WRITE : 0));
		buf += piece;
		len -= piece;
	}
	return i;
}

/* Publish chain 0, notify, and spin until the device has used it. */
static int submit_and_wait(struct vblk *v)
{
	uint16_t idx = v->avail[1];

	v->avail[2 + idx % v->qsize] = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	v->avail[1] = (uint16_t)(idx + 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	outw(v->iobase + VIO_QUEUE_NOTIFY, 0);
	while (v->used[1] == v->last_used)
		cpu_relax();
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	v->last_used++;
	return v->status == 0 ? 0 : -EIO;
}

static int vblk_request(struct vblk *v, uint32_t type, uint64_t sector,
			void *buf, uint64_t len)
{
	v->hdr.type = type;
	v->hdr.ioprio = 0;
	v->hdr.sector = sector;
	v->status = 0xFF;
	set_desc(v, 0, &v->hdr, sizeof(v->hdr), VRING_DESC_F_NEXT);
	int last = add_data(v, buf, len, type == VIRTIO_BLK_T_IN);
	if (last < 0)
		return -EIO;
	set_desc(v, last, (const void *)&v->status, 1, VRING_DESC_F_WRITE);
	return submit_and_wait(v);
}

static int vblk_rw(struct blkdev *d, int op, uint64_t block, uint32_t count,
		   void *buf)
{
	struct vblk *v = d->priv;

	return vblk_request(v, op == BLK_READ ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT,
			    block, buf, (uint64_t)count * SECTOR);
}

static int vblk_flush(struct blkdev *d)
{
	struct vblk *v = d->priv;

	return v->can_flush ? vblk_request(v, VIRTIO_BLK_T_FLUSH, 0, NULL, 0) : 0;
}

static const struct blkdev_ops vblk_ops = { .rw = vblk_rw, .flush = vblk_flush };

/* Queue 0: allocate the ring where the device can reach it and tell it. */
static bool setup_queue(struct vblk *v)
{
	uint64_t used_off;

	outw(v->iobase + VIO_QUEUE_SEL, 0);
	v->qsize = inw(v->iobase + VIO_QUEUE_SIZE);
	if (!v->qsize)
		return false;
	uint64_t bytes = vring_bytes(v->qsize, &used_off);
	unsigned order = 0;
	while ((PAGE_SIZE << order) < bytes)
		order++;
	struct page *p = pmm_alloc_pages(NUMA_NO_NODE, order, PMM_ZERO);
	if (!p || page_to_phys(p) >> 44)
		return false;
	char *ring = page_address(p);
	v->desc = (struct vring_desc *)ring;
	v->avail = (volatile uint16_t *)(ring + 16UL * v->qsize);
	v->used = (volatile uint16_t *)(ring + used_off);
	v->avail[0] = VRING_AVAIL_F_NO_INTERRUPT;
	outl(v->iobase + VIO_QUEUE_PFN, (uint32_t)(page_to_phys(p) >> PAGE_SHIFT));
	return true;
}

static inline uint32_t inl_port(uint16_t port)
{
	uint32_t x;

	__asm__ volatile("inl %1, %0" : "=a"(x) : "Nd"(port));
	return x;
}

/* Reset, acknowledge, agree on features, set up the queue, go. */
static bool vblk_init(struct vblk *v)
{
	outb(v->iobase + VIO_STATUS, 0);
	outb(v->iobase + VIO_STATUS, VIO_S_ACK);
	outb(v->iobase + VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER);
	uint32_t feat = inl_port(v->iobase + VIO_DEV_FEATURES);
	v->can_flush = feat & (1U << VIRTIO_BLK_F_FLUSH);
	outl(v->iobase + VIO_GUEST_FEATURES, feat & (1U << VIRTIO_BLK_F_FLUSH));
	if (!setup_queue(v)) {
		outb(v->iobase + VIO_STATUS, VIO_S_FAILED);
		return false;
	}
	outb(v->iobase + VIO_STATUS, VIO_S_ACK | VIO_S_DRIVER | VIO_S_DRIVER_OK);
	v->dev.nr_blocks = inl_port(v->iobase + VIO_CONFIG) |
			   (uint64_t)inl_port(v->iobase + VIO_CONFIG + 4) << 32;
	return true;
}

/* pci_for_each callback: claim legacy virtio-blk functions as vda, vdb... */
void virtio_blk_probe(const struct pci_dev *d, void *arg)
{
	if (d->vendor != 0x1AF4 || d->device != 0x1001)
		return;
	uint32_t bar0 = pci_read32(d, PCI_BAR0);
	if (!(bar0 & 1)) {
		printk("virtio-blk: %02x:%02x.%d: BAR0 is not I/O; skipped\n",
		       d->bus, d->dev, d->fn);
		return;
	}
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) |
		    PCI_CMD_IO | PCI_CMD_MASTER);
	struct vblk *v = kzalloc(sizeof(*v));
	if (!v)
		return;
	v->iobase = (uint16_t)(bar0 & ~3U);
	if (!vblk_init(v)) {
		printk("virtio-blk: %02x:%02x.%d: queue setup failed\n",
		       d->bus, d->dev, d->fn);
		kfree(v);
		return;
	}
	snprintf(v->dev.name, sizeof(v->dev.name), "vd%c", 'a' + nr_vblk);
	v->dev.block_size = SECTOR;
	v->dev.node = -1;
	v->dev.major = 254;
	v->dev.minor = nr_vblk++ * 16;
	v->dev.ops = &vblk_ops;
	v->dev.priv = v;
	blk_register(&v->dev);
}
