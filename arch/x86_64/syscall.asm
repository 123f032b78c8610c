; The `syscall` instruction's entry point (Linux x86-64 convention):
;   rax = number, args in rdi rsi rdx r10 r8 r9; return value in rax;
;   the CPU put the user rip in rcx and rflags in r11, and masked IF.
; We switch to this process's kernel stack (gs:16), build the same struct
; trap_frame an interrupt would (trap.h), call syscall_dispatch, and leave
; through trap_return (iretq), so there is one way back to user mode.

bits 64
%include "arch/x86_64/trapframe.inc"
section .text
global syscall_entry
extern syscall_dispatch, trap_return

USER_DS equ 0x1B
USER_CS equ 0x23
SYSCALL_VECTOR equ 0x80                 ; marks the frame as a system call

syscall_entry:
        swapgs
        mov [gs:8], rsp                 ; struct cpu.user_rsp
        mov rsp, [gs:16]                ; struct cpu.kernel_rsp
        push USER_DS                    ; ss
        push qword [gs:8]               ; rsp
        push r11                        ; rflags
        push USER_CS                    ; cs
        push rcx                        ; rip
        push 0                          ; error
        push SYSCALL_VECTOR             ; vector
        PUSH_REGS
        cld
        mov rdi, rsp
        call syscall_dispatch
        jmp trap_return

; void user_enter(struct trap_frame *tf): leave for user mode with the
; registers in tf (a new process after fork or exec).
global user_enter
user_enter:
        cli
        mov rsp, rdi
        jmp trap_return
