/* PCI configuration space and bus enumeration (see arch/pci.h). */
#include <arch/pci.h>
#include <arch/io.h>
#include <kernel/spinlock.h>

#define PCI_ADDR 0xCF8
#define PCI_DATA 0xCFC

/* The address/data pair is one shared register: one access at a time. */
static struct spinlock pci_lock = SPINLOCK_INIT("pci");  /* ports 0xCF8/0xCFC */

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static uint32_t cfg_addr(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t reg)
{
	return 1U << 31 | (uint32_t)bus << 16 | (uint32_t)dev << 11 |
	       (uint32_t)fn << 8 | (reg & 0xFC);
}

static uint32_t cfg_read(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t reg)
{
	uint64_t f = spin_lock_irqsave(&pci_lock);

	outl(PCI_ADDR, cfg_addr(bus, dev, fn, reg));
	uint32_t v = inl(PCI_DATA);
	spin_unlock_irqrestore(&pci_lock, f);
	return v;
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t reg)
{
	return cfg_read(d->bus, d->dev, d->fn, reg);
}

void pci_write32(const struct pci_dev *d, uint8_t reg, uint32_t v)
{
	uint64_t f = spin_lock_irqsave(&pci_lock);

	outl(PCI_ADDR, cfg_addr(d->bus, d->dev, d->fn, reg));
	outl(PCI_DATA, v);
	spin_unlock_irqrestore(&pci_lock, f);
}

uint16_t pci_read16(const struct pci_dev *d, uint8_t reg)
{
	return (uint16_t)(pci_read32(d, reg & 0xFC) >> ((reg & 2) * 8));
}

void pci_write16(const struct pci_dev *d, uint8_t reg, uint16_t v)
{
	uint32_t old = pci_read32(d, reg & 0xFC);
	int shift = (reg & 2) * 8;

	old &= ~(0xFFFFU << shift);
	pci_write32(d, reg & 0xFC, old | (uint32_t)v << shift);
}

/* Function 0 header type bit 7: the device has functions 1..7 too. */
static void scan_device(uint8_t bus, uint8_t dev,
			void (*fn)(const struct pci_dev *, void *), void *arg)
{
	int nfn = (cfg_read(bus, dev, 0, 0x0C) >> 16) & 0x80 ? 8 : 1;

	for (int f = 0; f < nfn; f++) {
		uint32_t id = cfg_read(bus, dev, f, 0);

		if ((id & 0xFFFF) == 0xFFFF)
			continue;
		struct pci_dev d = { bus, dev, f, id & 0xFFFF, id >> 16,
				     cfg_read(bus, dev, f, 0x3C) & 0xFF };
		fn(&d, arg);
	}
}

void pci_for_each(void (*fn)(const struct pci_dev *d, void *arg), void *arg)
{
	for (int bus = 0; bus < 256; bus++)
		for (int dev = 0; dev < 32; dev++)
			if ((cfg_read(bus, dev, 0, 0) & 0xFFFF) != 0xFFFF)
				scan_device(bus, dev, fn, arg);
}

void pci_init(void)
{
	pci_for_each(virtio_blk_probe, NULL);
}
