/* power.h: turning the machine off (power.c). */
#ifndef CALF_POWER_H
#define CALF_POWER_H

void poweroff(int status) __attribute__((noreturn));
#endif
