// Jobs: the work queued and running on the server's engines, by lane, from every caller (AdminService.ListJobs),
// each with cancel; and the calls this tab has started, which it can stop itself.
import { admin, call, describe } from "../api.js";
import { JobState } from "../gen/worldsmith/v1/admin_pb.js";
import { Lane } from "../gen/worldsmith/v1/common_pb.js";
import { onJobsChanged, runningJobs } from "../jobs.js";
import { h } from "../ui.js";

const LANES = ["realtime", "interactive", "batch"];
const LANE_OF = { [Lane.REALTIME]: "realtime", [Lane.INTERACTIVE]: "interactive", [Lane.BATCH]: "batch" };

function serverJob(job, onCancel) {
  const progress = job.progress?.total ? ` · ${job.progress.stage} ${job.progress.step}/${job.progress.total}` : "";
  const state = job.state === JobState.RUNNING ? `running ${job.runningSeconds.toFixed(1)} s`
    : `queued #${job.position + 1}, waiting ${job.waitedSeconds.toFixed(1)} s`;
  return h("div", { class: "row job server-job", "data-request": job.requestId },
    h("span", {}, `${job.method.split("/").pop()}${progress}`), h("span", { class: "muted" }, state),
    h("span", { class: "muted" }, `${job.engine} · key ${job.keyName}`),
    h("button", { type: "button", onclick: () => onCancel(job) }, "Cancel"));
}

function tabJob(job) {
  return h("div", { class: "row job" },
    h("span", {}, job.label), h("span", { class: "muted" }, job.state),
    h("span", { class: "muted" }, `${Math.round((Date.now() - job.started) / 1000)} s`),
    h("button", { type: "button", onclick: () => job.controller.abort() }, "Cancel"));
}

const byLane = (id, jobs, render, empty) => h("div", { id },
  ...LANES.map((lane) => h("div", { class: "panel" }, h("h3", {}, `${lane} lane`),
    ...jobs.filter((job) => job.lane === lane).map(render),
    jobs.some((job) => job.lane === lane) ? null : h("div", { class: "muted" }, empty))));

export default {
  title: "Jobs",
  mount(root) {
    const server = h("div", {});
    const message = h("div", { class: "error", id: "jobs-error" });
    const tab = h("div", {});
    let serverJobs = [];
    let listing = false;
    const drawServer = () => server.replaceChildren(byLane("server-jobs", serverJobs, (job) => serverJob(job, cancel), "nothing queued or running"));
    const drawTab = () => tab.replaceChildren(byLane("jobs", runningJobs(), tabJob, "nothing running"));
    const refresh = async () => {
      if (listing) return; // the last listing is still on its way (or waiting for the server to come back)
      listing = true;
      try {
        const listed = await call(() => admin.listJobs({}));
        serverJobs = listed.jobs.map((job) => ({ ...job, lane: LANE_OF[job.lane] }));
        message.textContent = "";
      } catch (error) {
        message.textContent = describe(error);
      } finally {
        listing = false;
      }
      drawServer();
    };
    const cancel = async (job) => {
      try {
        await call(() => admin.cancelJob({ requestId: job.requestId }));
      } catch (error) {
        message.textContent = describe(error);
      }
      refresh();
    };
    root.append(
      h("h2", {}, "On the server"),
      h("p", { class: "muted" }, "Every caller's work on the server's engines. Cancel stops a call: your own key's, or any with an admin key."),
      message, server,
      h("h2", {}, "Started in this tab"), tab);
    refresh();
    drawTab();
    const timer = setInterval(() => { refresh(); drawTab(); }, 1000);
    const stop = onJobsChanged(drawTab);
    return () => { clearInterval(timer); stop(); };
  },
};
