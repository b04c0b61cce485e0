// Jobs: the generations and turns this studio has running, by lane, each with cancel. The server lists no jobs,
// so calls from other clients are not shown here.
import { onJobsChanged, runningJobs } from "../jobs.js";
import { h } from "../ui.js";

const LANES = ["realtime", "interactive", "batch"];

export default {
  title: "Jobs",
  mount(root) {
    const body = h("div", { id: "jobs" });
    const draw = () => {
      const jobs = runningJobs();
      body.replaceChildren(...LANES.map((lane) => h("div", { class: "panel" }, h("h3", {}, `${lane} lane`),
        ...jobs.filter((job) => job.lane === lane).map((job) => h("div", { class: "row job" },
          h("span", {}, job.label), h("span", { class: "muted" }, job.state),
          h("span", { class: "muted" }, `${Math.round((Date.now() - job.started) / 1000)} s`),
          h("button", { type: "button", onclick: () => job.controller.abort() }, "Cancel"))),
        jobs.some((job) => job.lane === lane) ? null : h("div", { class: "muted" }, "nothing running"))));
    };
    root.append(h("p", { class: "muted" }, "Work this browser tab has started, running or queued on the server. Cancel stops the call; the server drops its queued or running work."), body);
    draw();
    const timer = setInterval(draw, 1000);
    const stop = onJobsChanged(draw);
    return () => { clearInterval(timer); stop(); };
  },
};
