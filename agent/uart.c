/* SPDX-License-Identifier: MIT */
/* PL011 transmit only (PL011 TRM: DR at 0x000, FR at 0x018, FR.TXFF bit 5). */
#include "uart.h"

static int uart_locking;
static uint32_t uart_lock_word;

void uart_enable_lock(void)
{
	uart_locking = 1;
}

void uart_lock(void)
{
	if (!uart_locking)
		return;
	/* Bounded: an exception report must not wait forever for a dead CPU. */
	for (unsigned long n = 0; n < 10000000ul; n++)
		if (!__atomic_exchange_n(&uart_lock_word, 1, __ATOMIC_ACQUIRE))
			return;
}

void uart_unlock(void)
{
	if (uart_locking)
		__atomic_store_n(&uart_lock_word, 0, __ATOMIC_RELEASE);
}

static void uart_putc(char c)
{
	volatile uint32_t *dr = (volatile uint32_t *)UART_BASE;
	volatile uint32_t *fr = (volatile uint32_t *)(UART_BASE + 0x18);

	while (*fr & (1u << 5))
		;
	*dr = (uint8_t)c;
}

void uart_putsn(const char *s, uint64_t n)
{
	for (uint64_t i = 0; i < n && s[i]; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

void uart_puts(const char *s)
{
	uart_putsn(s, ~0ull);
}

void uart_hex(uint64_t v)
{
	char b[19];

	b[0] = '0';
	b[1] = 'x';
	for (int i = 0; i < 16; i++)
		b[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	b[18] = 0;
	uart_puts(b);
}

void uart_dec(uint64_t v)
{
	char b[21];
	int i = 20;

	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	uart_puts(b + i);
}
