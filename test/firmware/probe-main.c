/*
 * Test firmware for test/firmware: reads stdin to its end, prints integer, 64-bit and float
 * statistics of the bytes, then the timer ticks of a loop at several lengths.
 * Returns the byte count modulo 7, so the exit status is checked too.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "kws_timing.h"

/* Two instructions per iteration on Arm (subs, bne): the instruction count is known. */
static void spin(uint32_t iterations)
{
#if defined(__arm__)
    __asm volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(iterations) : : "cc");
#else
    for (volatile uint32_t i = 0; i < iterations; i++) {
    }
#endif
}

/* More than 2^24 ticks for the last one, so SysTick wraps around during it. */
static const uint32_t SPIN_LENGTHS[] = {1000, 2000, 4000, 12000000};

int main(void)
{
    static uint8_t buffer[512];
    uint32_t count = 0;
    uint32_t sum = 0;
    uint32_t hash = 2166136261u; /* FNV-1a */
    float sum_of_squares = 0.0f;
    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, stdin)) > 0) {
        for (size_t i = 0; i < got; i++) {
            const float centred = (float)buffer[i] - 127.5f;
            sum += buffer[i];
            hash = (hash ^ buffer[i]) * 16777619u;
            sum_of_squares += centred * centred;
        }
        count += (uint32_t)got;
    }
    const uint64_t product = (uint64_t)sum * hash;
    printf("bytes %lu sum %lu fnv1a %08lx\n", (unsigned long)count, (unsigned long)sum, (unsigned long)hash);
    printf("product/7 %llu\n", (unsigned long long)(product / 7u));
    printf("rms %.3f\n", count > 0 ? (double)sqrtf(sum_of_squares / (float)count) : 0.0);
    for (size_t i = 0; i < sizeof SPIN_LENGTHS / sizeof SPIN_LENGTHS[0]; i++) {
        kws_timer_start();
        spin(SPIN_LENGTHS[i]);
        const uint64_t ticks = kws_timer_stop();
        printf("spin %lu ticks %llu\n", (unsigned long)SPIN_LENGTHS[i], (unsigned long long)ticks);
    }
    return (int)(count % 7u);
}
