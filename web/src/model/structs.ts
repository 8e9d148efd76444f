// The Linux structure and code each drawn object models, for the inspector.

export interface LinuxRef {
  struct: string;
  where: string;
  about: string;
}

export const LINUX: Record<string, LinuxRef> = {
  thread: {
    struct: 'struct task_struct',
    where: 'include/linux/sched.h',
    about: 'a thread; sleeps via schedule()',
  },
  fd: {
    struct: 'struct fdtable (fd[] slot)',
    where: 'include/linux/fdtable.h',
    about: 'fd number → struct file',
  },
  file: {
    struct: 'struct file',
    where: 'include/linux/fs.h',
    about: 'an open file description: f_count, f_flags, f_ep',
  },
  pipe: {
    struct: 'struct pipe_inode_info',
    where: 'fs/pipe.c',
    about: 'a ring of pipe_buffer slots; pipe_read/pipe_write',
  },
  unix: {
    struct: 'struct unix_sock',
    where: 'net/unix/af_unix.c',
    about: 'an AF_UNIX socket; sock_def_readable wakes its wq',
  },
  eventfd: { struct: 'struct eventfd_ctx', where: 'fs/eventfd.c', about: 'a u64 counter and its wait queue' },
  timerfd: { struct: 'struct timerfd_ctx', where: 'fs/timerfd.c', about: 'an hrtimer and its tick count' },
  eventpoll: {
    struct: 'struct eventpoll',
    where: 'fs/eventpoll.c',
    about: 'rbr (interest tree), rdllist, ovflist, wq, poll_wait',
  },
  epitem: {
    struct: 'struct epitem',
    where: 'fs/eventpoll.c',
    about: 'one watched (file, fd): rbn, rdllink, pwqlist; ep_insert',
  },
  waitqueue: {
    struct: 'struct wait_queue_head',
    where: 'include/linux/wait.h',
    about: 'a list of wait entries; __wake_up walks it head first',
  },
  'wait-entry': {
    struct: 'struct wait_queue_entry',
    where: 'include/linux/wait.h',
    about: 'func (the wake function), flags (WQ_FLAG_EXCLUSIVE), private',
  },
  regular: {
    struct: 'struct file (regular file)',
    where: 'fs/',
    about: 'always ready; epoll refuses it (EPERM)',
  },
  null: { struct: 'struct file (/dev/null)', where: 'drivers/char/mem.c', about: 'the standard descriptors' },
};

export function linuxRef(kind: string): LinuxRef | undefined {
  return LINUX[kind];
}
