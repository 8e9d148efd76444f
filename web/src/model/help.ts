// The page's own help: the keys, what the highlights mean, and the text form in a few lines.
// test/web/model-help.test.ts checks that the syntax lines are a script the page accepts.

export const HELP_KEYS: readonly [string, string][] = [
  ['← / →', 'previous / next step (outside the editor)'],
  ['Home / End', 'first / last step'],
  ['Enter', 'on a step of the list: go to it'],
  ['Esc', 'close the inspector'],
];

export const HELP_HIGHLIGHTS: readonly [string, string][] = [
  ['shaded (yellow)', 'changed by this step'],
  ['solid outline', 'the object you clicked (its fields in the inspector)'],
  ['dashed outline', 'what the clicked object points to'],
  ['✓ / ✗', 'the step’s result matches / differs from its -> expectation'],
];

/** The text form, one call per line: [example, what it means]. */
export const HELP_SYNTAX: readonly [string, string][] = [
  ['# a comment', 'ignored to the end of the line'],
  ['[r, w] = pipe2(O_NONBLOCK)', 'call; name the fds it returns'],
  ['ep = epoll_create1(0)', 'name = call(...): use it later as $ep'],
  ['epoll_ctl($ep, EPOLL_CTL_ADD, $r, {events: EPOLLIN, data: 1})', 'flags by name, | to combine'],
  ['write($w, "x") -> 1', '-> expected result: ✓ or ✗ in the list'],
  ['@t1 epoll_wait($ep, 8, -1)', '@thread: run the call on thread t1 (it may block)'],
  ['join(t1) -> {ret: 1, events: [{events: EPOLLIN, data: 1}]}', "wait for t1's call; its result"],
];

/** The syntax lines as one script (what the test runs). */
export function helpScript(): string {
  return `${HELP_SYNTAX.map(([code]) => code).join('\n')}\n`;
}
