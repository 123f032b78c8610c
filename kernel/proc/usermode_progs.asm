; Tiny user programs for kernel/proc/usermode_test.c: raw x86-64 code that the
; test copies to user address 0x400000 and runs as a process, with an
; anonymous data page at 0x600000. No libc, no ELF: just system calls.

bits 64
section .rodata
global uprog_fork, uprog_fork_end, uprog_segv, uprog_segv_end

; Parent writes 5, forks; the child writes 9 (copy-on-write) and exits 9;
; the parent waits and exits 10 * 9 + (its own value, still 5) = 95.
uprog_fork:
        mov dword [0x600000], 5
        mov eax, 57                     ; fork
        syscall
        test eax, eax
        jnz .parent
        mov dword [0x600000], 9
        mov edi, [0x600000]
        mov eax, 60                     ; exit(9)
        syscall
.parent:
        sub rsp, 16
        mov edi, -1                     ; wait4(-1, rsp, 0, 0)
        mov rsi, rsp
        xor edx, edx
        xor r10d, r10d
        mov eax, 61
        syscall
        mov edi, [rsp]
        shr edi, 8                      ; exit status of the child
        imul edi, edi, 10
        add edi, [0x600000]
        mov eax, 231                    ; exit_group(95)
        syscall
uprog_fork_end:

; Writes to a kernel address: must end with SIGSEGV, not harm the kernel.
uprog_segv:
        mov rax, 0xffff800000000000
        mov dword [rax], 1
        mov eax, 60
        syscall
uprog_segv_end:
