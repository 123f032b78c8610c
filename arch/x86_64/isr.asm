; Interrupt entry stubs: one per vector. Each pushes an error code (0 when
; the CPU pushes none) and its vector number, then joins isr_common, which
; saves the registers as a struct trap_frame (trap.h) and calls trap_dispatch.
; Coming from or going back to user mode, swapgs exchanges the user's GS
; base with the kernel's (which points at this CPU's struct cpu).

bits 64
%include "arch/x86_64/trapframe.inc"
section .text
extern trap_dispatch, cpu_has_smap

; vectors where the CPU pushes an error code itself
%define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%macro STUB 1
isr_%1:
%if !HAS_ERR(%1)
        push 0
%endif
        push %1
        jmp isr_common
%endmacro

%assign v 0
%rep 256
STUB v
%assign v v + 1
%endrep

isr_common:
        test qword [rsp + 24], 3            ; from user mode? (saved CS)
        jz .from_kernel
        swapgs                              ; GS base: user's -> this CPU's
.from_kernel:
        PUSH_REGS
        cld
        cmp byte [rel cpu_has_smap], 0      ; SMAP: a fault inside a user copy
        je .ac_clear                        ; arrives with AC set; handlers run
        clac                                ; without it (iretq restores it)
.ac_clear:
        mov rdi, rsp
        call trap_dispatch
global trap_return
trap_return:                                ; also the way back from syscalls
        POP_REGS
        add rsp, 16                         ; vector and error code
        test qword [rsp + 8], 3             ; back to user mode?
        jz .to_kernel
        swapgs
.to_kernel:
        iretq

section .rodata
global isr_table
isr_table:
%assign v 0
%rep 256
        dq isr_ %+ v
%assign v v + 1
%endrep
