/*
 * The console: a 16550 UART on COM1 (I/O port 0x3F8), 115200 8N1, polled.
 * QEMU connects it to the terminal (make qemu) or to stdout (make qemu-nox).
 */
#include <arch/serial.h>
#include <arch/io.h>

#define COM1 0x3F8
#define UART_THR 0      /* transmit holding register */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20   /* transmitter can take a byte */

void serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, 0x80);    /* DLAB: set the divisor */
	outb(COM1 + 0, 1);              /* 115200 / 1 */
	outb(COM1 + 1, 0);
	outb(COM1 + UART_LCR, 0x03);    /* 8N1 */
	outb(COM1 + UART_FCR, 0xC7);    /* FIFO on, cleared */
	outb(COM1 + UART_MCR, 0x03);
}

static void serial_putc(char c)
{
	while (!(inb(COM1 + UART_LSR) & LSR_THRE))
		;
	outb(COM1 + UART_THR, c);
}

/* A received byte, or -1 if none is waiting. */
int serial_getc(void)
{
	if (!(inb(COM1 + UART_LSR) & 1))     /* data ready */
		return -1;
	return inb(COM1 + UART_THR);         /* same port: receive buffer */
}

/* The bytes as they are: no \r added (a TTY without ONLCR). */
void serial_write_raw(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		serial_putc(s[i]);
}

/* Each \n goes out as \r\n. */
void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}
