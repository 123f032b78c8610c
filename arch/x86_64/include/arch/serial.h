#ifndef ARCH_SERIAL_H
#define ARCH_SERIAL_H

#include <stddef.h>

void serial_init(void);
void serial_write(const char *s, size_t n);      /* \n as \r\n */
void serial_write_raw(const char *s, size_t n);  /* as they are */
int serial_getc(void);

#endif
