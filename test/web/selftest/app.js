// The harness self-test's page: keys step a counter, the hash sets it, /api/info is fetched with
// the token the URL carries (as the playground does).
const el = document.querySelector('[data-testid=step-index]');
const n = 3;
let i = Number(new URLSearchParams(location.hash.slice(1)).get('step') ?? 0);
const show = () => {
  el.textContent = `${i + 1} / ${n}`;
};
show();
document.addEventListener('keydown', (e) => {
  if (e.key === 'ArrowRight') i = Math.min(n - 1, i + 1);
  if (e.key === 'ArrowLeft') i = Math.max(0, i - 1);
  if (e.key === 'Home') i = 0;
  if (e.key === 'End') i = n - 1;
  show();
});
const token = new URLSearchParams(location.search).get('token');
fetch(`/api/info?token=${token}`)
  .then((r) => r.json())
  .then((info) => {
    document.querySelector('[data-testid=linux]').textContent = `linux: ${info.linux}`;
  });
