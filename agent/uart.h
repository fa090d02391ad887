/* SPDX-License-Identifier: MIT */
/* PL011 console output (QEMU virt: 0x09000000). Lines from several CPUs do not interleave. */
#ifndef AGENT_UART_H
#define AGENT_UART_H

#include <stdint.h>

#define UART_BASE 0x09000000ull

/* From here on, lines are serialised with a lock (needs the MMU on: exclusives). */
void uart_enable_lock(void);
void uart_lock(void);
void uart_unlock(void);
void uart_puts(const char *s);
void uart_putsn(const char *s, uint64_t n);
void uart_hex(uint64_t v);
void uart_dec(uint64_t v);

#endif
