/*
 * The legacy 8259 PICs. The BIOS leaves them delivering IRQ 0-7 on vectors
 * 8-15, which collide with CPU exceptions (the PIT's IRQ 0 would look like a
 * double fault). Numbat uses the local APIC instead, so it moves the PICs
 * to vectors 0x20-0x2F and masks every line.
 */
#include <arch/io.h>
#include <arch/pic.h>

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1

void pic_disable(void)
{
	outb(PIC1_CMD, 0x11);       /* ICW1: init, expect ICW4 */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, 0x20);      /* ICW2: vector base */
	outb(PIC2_DATA, 0x28);
	outb(PIC1_DATA, 4);         /* ICW3: slave on IRQ 2 */
	outb(PIC2_DATA, 2);
	outb(PIC1_DATA, 1);         /* ICW4: 8086 mode */
	outb(PIC2_DATA, 1);
	outb(PIC1_DATA, 0xFF);      /* mask all */
	outb(PIC2_DATA, 0xFF);
}
