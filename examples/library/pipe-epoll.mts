import { createScriptProcess, EPOLL, EPOLL_CTL, failed, Kernel, O, ok, runThreads } from 'iomux';

const k = new Kernel();
const p = createScriptProcess(k); // fds 0, 1, 2 open; a 1024-slot descriptor table
let writeEnd = -1;

await runThreads(k, p, {
  async main(sys) {
    const [r, w] = ok(await sys.pipe2(O.O_NONBLOCK)).fds;
    writeEnd = w;
    const early = await sys.read(r, 100); // Linux's errors are values, not exceptions
    console.log('read on the empty pipe:', failed(early) ? early.errno : early.ret);

    const ep = ok(await sys.epoll_create1(0)).ret;
    ok(await sys.epoll_ctl(ep, EPOLL_CTL.EPOLL_CTL_ADD, r, { events: EPOLL.EPOLLIN, data: r }));
    const { events } = ok(await sys.epoll_wait(ep, 8, -1)); // blocks until the writer has written
    const readable = events.filter((e) => e.events & EPOLL.EPOLLIN).map((e) => e.data);
    console.log(`epoll_wait at ${k.now / 1e6} ms: fd ${readable.join(', ')} readable`);
    console.log('read:', new TextDecoder().decode(ok(await sys.read(r, 100)).data));
  },
  async writer(sys) {
    ok(await sys.sleep(10)); // virtual time: the clock jumps when every thread is blocked
    ok(await sys.write(writeEnd, new TextEncoder().encode('hello')));
  },
});
