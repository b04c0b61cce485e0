// The long calls this studio has running (texture, scene and avatar generations, turns), each cancellable.
const running = new Map();
const listeners = new Set();
let nextId = 1;

const changed = () => listeners.forEach((listener) => listener());

/** Registers a call; returns its job, whose `signal` goes to the call and whose `update`/`finish` report it. */
export function startJob(label, lane) {
  const controller = new AbortController();
  const job = {
    id: nextId++, label, lane, started: Date.now(), state: "starting", controller, signal: controller.signal,
    update(state) { job.state = state; changed(); },
    finish() { running.delete(job.id); changed(); },
  };
  running.set(job.id, job);
  changed();
  return job;
}

export const runningJobs = () => [...running.values()];

export function onJobsChanged(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
