; Context switch between two kernel stacks.
;
; struct proc *switch_stacks(uint64_t *save_rsp, uint64_t load_rsp,
;                            struct proc *prev)
; Pushes the callee-saved registers on the current stack, saves rsp in
; *save_rsp, loads load_rsp and pops the registers saved there. Returns prev
; (in rax) to the process switched to, which did not know who ran before it.
;
; A new process's stack is made to look like it called switch_stacks from
; proc_trampoline (see arch/x86_64/sched.c):
;   [rsp]    r15 r14 r13 r12 rbx rbp   return address = proc_trampoline
; with r12 = the function to run and r13 = its argument.

bits 64
section .text
global switch_stacks, proc_trampoline
extern schedule_tail

switch_stacks:
        push rbp
        push rbx
        push r12
        push r13
        push r14
        push r15
        mov [rdi], rsp
        mov rsp, rsi
        mov rax, rdx
        pop r15
        pop r14
        pop r13
        pop r12
        pop rbx
        pop rbp
        ret

proc_trampoline:
        mov rdi, rax                    ; prev
        call schedule_tail
        sti
        mov rdi, r13
        call r12                        ; fn(arg): never returns here
.hang:
        cli
        hlt
        jmp .hang
