; The application processors' first instructions. An AP wakes (SIPI) in
; 16-bit real mode at physical TRAMP_BASE, where smp.c copied this code; it
; climbs to protected mode, then long mode on the kernel's page tables
; (whose identity map of low memory keeps this code addressable), and jumps
; to ap_main(struct cpu *) on the stack smp.c left in the parameters below.
; Everything here is position-dependent on TRAMP_BASE: addresses are
; written as TRAMP_BASE + (label - trampoline_start).

TRAMP_BASE equ 0x8000
%define T(x) (TRAMP_BASE + ((x) - trampoline_start))

section .rodata
global trampoline_start, trampoline_end
global tramp_cr3, tramp_efer, tramp_stack, tramp_cpu, tramp_entry

bits 16
trampoline_start:
        cli
        cld
        xor ax, ax
        mov ds, ax
        lgdt [T(tramp_gdt_ptr)]
        mov eax, cr0
        or eax, 1                       ; PE
        mov cr0, eax
        jmp dword 0x08:T(tramp_pm)

bits 32
tramp_pm:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov eax, cr4
        or eax, (1 << 5) | (1 << 7)     ; PAE, PGE
        mov cr4, eax
        mov eax, [T(tramp_cr3)]
        mov cr3, eax
        mov ecx, 0xC0000080             ; EFER as the boot CPU has it (LME, NXE)
        mov eax, [T(tramp_efer)]
        xor edx, edx
        wrmsr
        mov eax, cr0
        or eax, (1 << 31) | (1 << 16)   ; PG, WP
        mov cr0, eax
        jmp 0x18:T(tramp_lm)

bits 64
tramp_lm:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov rsp, [T(tramp_stack)]
        mov rdi, [T(tramp_cpu)]
        mov rax, [T(tramp_entry)]
        xor ebp, ebp
        push 0                          ; a return address of 0 ends backtraces
        jmp rax

align 8
tramp_gdt:
        dq 0
        dq 0x00CF9A000000FFFF           ; 0x08: 32-bit code
        dq 0x00CF92000000FFFF           ; 0x10: data
        dq 0x00AF9A000000FFFF           ; 0x18: 64-bit code
tramp_gdt_ptr:
        dw tramp_gdt_ptr - tramp_gdt - 1
        dd T(tramp_gdt)

align 8
tramp_cr3:      dq 0
tramp_efer:     dq 0
tramp_stack:    dq 0
tramp_cpu:      dq 0
tramp_entry:    dq 0
trampoline_end:
