# test/gdb-prog.gdb: `make gdb PROG=name` sources this after .gdbinit, with
# $calf_prog set to "name" and user/_name's symbols loaded. It stops at the
# program's main, and only there.
#
# Every user program is linked at 0, so a plain `break main` would stop in
# whichever process first runs that address (the shell, usually). Instead a
# silent breakpoint sits in the trampoline's userret, where the kernel
# returns to user mode with the process's satp (its page table) in a0 and
# cpus[$tp].proc still readable. When that process is named $calf_prog and
# its satp is new (exec just built the address space), a temporary
# breakpoint on main is set, conditioned on that satp: it fires in that
# program and no other. Start the program after gdb has attached.
#
# The userret breakpoint then disables itself, and must: gdb steps a RISC-V
# program by planting a breakpoint on the next instruction and continuing,
# so an interrupt pending at a step (a timer tick, now and then) runs the
# kernel in the middle of it, and a breakpoint met on the way back to user
# mode, even one whose condition is false, ends the step there, in the
# trampoline. To catch the next run of the program: enable 1.
set $calf_satp = 0
break *((1L << 38) - 4096 + ((unsigned long)&userret - (unsigned long)&trampoline)) if $_streq(cpus[$tp].proc->name, $calf_prog) && $a0 != $calf_satp
commands
  silent
  set $calf_satp = $a0
  disable 1
  tbreak main if $satp == $calf_satp
  continue
end
