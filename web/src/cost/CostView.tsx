// Placeholder: the Cost tab. Helper w4 writes the real view (per-step and cumulative counters,
// select/poll/epoll against N); the lead takes that file at merge.

export function CostView() {
  return <p class="muted">The cost view comes here.</p>;
}
