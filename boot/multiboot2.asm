; Multiboot2 header and the 32-bit entry point.
;
; GRUB loads the kernel ELF at its physical addresses and jumps to _start in
; 32-bit protected mode with paging off, EAX = multiboot2 magic and EBX = the
; physical address of the boot information. This file builds just enough page
; tables to enter long mode, then jumps to the higher-half kernel (entry64.asm).
;
; Early mappings (2 MiB pages, all pointing at physical 0..1 GiB):
;   0x0000000000000000  identity      (needed while RIP is still low; the SMP
;                                      trampoline uses it too; dropped later)
;   0xFFFF800000000000  direct map    (phys_to_virt; C extends it to all RAM)
;   0xFFFFFFFF80000000  kernel image  (-mcmodel=kernel, linker.ld)
; All writable and executable; paging_init() (paging.c) soon replaces the
; last two with W^X 4 KiB mappings and an NX direct map.

MB2_MAGIC      equ 0xE85250D6
MB2_ARCH_I386  equ 0
KERNEL_VMA     equ 0xFFFFFFFF80000000

section .multiboot_header
align 8
mb2_header:
        dd MB2_MAGIC
        dd MB2_ARCH_I386
        dd mb2_header_end - mb2_header
        dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
        align 8                         ; end tag
        dw 0, 0
        dd 8
mb2_header_end:

section .boot.bss nobits alloc write
align 4096
global boot_pml4
boot_pml4:      resb 4096
boot_pdpt_low:  resb 4096
boot_pdpt_high: resb 4096
boot_pd:        resb 4096
boot_stack32:   resb 1024
boot_stack32_top:

section .boot.data progbits alloc write
align 16
gdt64:
        dq 0                            ; null
        dq 0x00AF9A000000FFFF           ; 0x08: 64-bit kernel code
        dq 0x00CF92000000FFFF           ; 0x10: kernel data
gdt64_end:
gdt64_ptr:
        dw gdt64_end - gdt64 - 1
        dd gdt64

nolm_msg: db "numbat: this CPU has no long mode; halting", 13, 10, 0

section .boot.text progbits alloc exec
bits 32
global _start
_start:
        cli
        mov esp, boot_stack32_top
        mov edi, eax                    ; keep magic and info pointer for kmain
        mov esi, ebx

        mov eax, 0x80000000             ; long mode available?
        cpuid
        cmp eax, 0x80000001
        jb .no_long_mode
        mov eax, 0x80000001
        cpuid
        test edx, 1 << 29
        jz .no_long_mode
        mov ebp, edx                    ; bit 20: NX

        ; page tables: every entry present+writable (bit 0, 1)
        mov eax, boot_pdpt_low
        or eax, 3
        mov [boot_pml4], eax            ; PML4[0]   identity
        mov [boot_pml4 + 256 * 8], eax  ; PML4[256] direct map
        mov eax, boot_pdpt_high
        or eax, 3
        mov [boot_pml4 + 511 * 8], eax  ; PML4[511] kernel image
        mov eax, boot_pd
        or eax, 3
        mov [boot_pdpt_low], eax
        mov [boot_pdpt_high + 510 * 8], eax
        xor ecx, ecx                    ; 512 x 2 MiB pages (PS bit 7)
.fill_pd:
        mov eax, ecx
        shl eax, 21
        or eax, 0x83
        mov [boot_pd + ecx * 8], eax
        inc ecx
        cmp ecx, 512
        jne .fill_pd

        mov eax, cr4                    ; PAE + PGE
        or eax, (1 << 5) | (1 << 7)
        mov cr4, eax
        mov eax, boot_pml4
        mov cr3, eax
        mov ecx, 0xC0000080             ; EFER: LME (bit 8), NXE (bit 11) if present
        rdmsr
        or eax, 1 << 8
        test ebp, 1 << 20
        jz .no_nx
        or eax, 1 << 11
.no_nx:
        wrmsr
        mov eax, cr0                    ; PG + WP (+PE already set by GRUB)
        or eax, (1 << 31) | (1 << 16)
        mov cr0, eax
        lgdt [gdt64_ptr]
        jmp 0x08:long_mode_low

.no_long_mode:
        mov esi, nolm_msg               ; print on COM1 without any setup
.putc:
        lodsb
        test al, al
        jz .halt
        mov dx, 0x3F8
        out dx, al
        jmp .putc
.halt:
        hlt
        jmp .halt

bits 64
long_mode_low:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        xor ax, ax
        mov fs, ax
        mov gs, ax
        mov rax, entry64                ; leave the identity map for the higher half
        jmp rax

section .text
extern kmain
entry64:
        mov rsp, boot_stack_top
        xor ebp, ebp                    ; end of backtraces
        mov edi, edi                    ; upper halves are undefined after the switch
        mov esi, esi
        push 0                          ; return address 0: unwinders (GDB,
        jmp kmain                       ; backtrace()) stop at kmain

section .bss
align 4096
global boot_stack, boot_stack_top
boot_stack_guard: resb 4096             ; left unmapped (arch/stack_guard.h)
boot_stack:     resb 16384              ; the boot CPU's stack (its idle task's)
boot_stack_top:

section .stack_guards progbits alloc noexec nowrite align=8
        dq boot_stack_guard, 1, 4096 + 16384    ; struct stack_guard
