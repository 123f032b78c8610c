/*
 * PCI configuration space through the legacy I/O ports 0xCF8 (address) and
 * 0xCFC (data), "configuration mechanism #1":
 *
 *   0xCF8:  | 31: enable | 23-16 bus | 15-11 device | 10-8 function | 7-2 register |
 *
 * Enough to find devices by vendor/device id, read their BARs and turn on
 * I/O decoding and bus mastering (DMA).
 */
#ifndef ARCH_PCI_H
#define ARCH_PCI_H

#include <kernel/types.h>

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t irq_line;
};

#define PCI_COMMAND      0x04
#define PCI_CMD_IO       (1 << 0)
#define PCI_CMD_MEMORY   (1 << 1)
#define PCI_CMD_MASTER   (1 << 2)
#define PCI_BAR0         0x10

uint32_t pci_read32(const struct pci_dev *d, uint8_t reg);
void pci_write32(const struct pci_dev *d, uint8_t reg, uint32_t v);
uint16_t pci_read16(const struct pci_dev *d, uint8_t reg);
void pci_write16(const struct pci_dev *d, uint8_t reg, uint16_t v);

/* Call fn for every function present, in bus/device/function order. */
void pci_for_each(void (*fn)(const struct pci_dev *d, void *arg), void *arg);

/* Start the PCI drivers Numbat has (virtio-blk). */
void pci_init(void);
void virtio_blk_probe(const struct pci_dev *d, void *arg);

#endif
