#ifndef ARCH_PIC_H
#define ARCH_PIC_H

void pic_disable(void);   /* remap and mask the legacy 8259 PICs */

#endif
