/* SPDX-License-Identifier: MIT */
/*
 * Entry point of a freestanding static arm64 Linux program (sys.h): the
 * kernel starts it with sp at argc, then argv[], NULL, envp[], NULL
 * (the ELF ABI's process stack). Calls main(argc, argv, envp), then exits
 * with its return value.
 */
	.text
	.globl	_start
	.type	_start, %function
_start:
	mov	x29, #0
	mov	x30, #0
	ldr	x0, [sp]		// argc
	add	x1, sp, #8		// argv
	add	x2, x1, x0, lsl #3
	add	x2, x2, #8		// envp: after argv's NULL
	bl	main
	mov	x8, #93			// exit
	svc	#0
	b	.
	.size	_start, . - _start

	.globl	memcpy
	.type	memcpy, %function
memcpy:					// x0 dst, x1 src, x2 n
	mov	x3, x0
1:	cbz	x2, 2f
	ldrb	w4, [x1], #1
	strb	w4, [x3], #1
	sub	x2, x2, #1
	b	1b
2:	ret
	.size	memcpy, . - memcpy

	.globl	memset
	.type	memset, %function
memset:					// x0 dst, w1 byte, x2 n
	mov	x3, x0
1:	cbz	x2, 2f
	strb	w1, [x3], #1
	sub	x2, x2, #1
	b	1b
2:	ret
	.size	memset, . - memset

/*
 * A word of .data, so the RW segment always has file bytes: kernels before
 * 6.7 ("binfmt_elf: Support segments with 0 filesz and misaligned starts")
 * fail to exec (EFAULT, "Failed to execute /init (error -14)") a static
 * program whose RW segment is all .bss at an unaligned start.
 */
	.data
	.balign	8
	.quad	1

	.section .note.GNU-stack, "", %progbits
