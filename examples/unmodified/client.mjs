// An unmodified client of the provider, as public ones are written: Node 20's global fetch and
// the provider's origin as a literal. It knows nothing of sora-mock; pointing it at the mock is
// the machine's business (a hosts entry for the host name, NODE_EXTRA_CA_CERTS for the CA).
// Usage: SORA_API_KEY=sk-... node client.mjs [out.mp4]
import { writeFile } from "node:fs/promises";

const API = "https://freesoragenerator.com";
const KEY = process.env.SORA_API_KEY;
const POLL_MS = 500;

async function call(path, body) {
  const response = await fetch(API + path, {
    method: "POST",
    headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (answer.code !== 0) throw new Error(`${path}: ${answer.code} ${answer.message}`);
  return answer.data;
}

const { taskId } = await call("/api/v1/video/sora-pro", {
  model: "sora-2-text-to-video",
  prompt: "a paper boat on a rainy street",
});
console.log(`create: taskId ${taskId}`);

let task;
for (let polls = 1; ; polls++) {
  task = await call("/api/video-generations/check-result", { taskId });
  if (task.status === "succeeded") break;
  if (task.status === "failed" || task.status === "cancelled" || polls >= 60) {
    throw new Error(`check-result: ${task.status} after ${polls} polls`);
  }
  await new Promise((resolve) => setTimeout(resolve, POLL_MS));
}
console.log(`check-result: ${task.status} ${task.result_url}`);

const credits = await call("/api/get-user-credits", {});
console.log(`balance: ${credits.left_credits} credits`);

const video = await fetch(task.result_url);
if (!video.ok) throw new Error(`download: HTTP ${video.status}`);
const bytes = Buffer.from(await video.arrayBuffer());
await writeFile(process.argv[2] ?? `${taskId}.mp4`, bytes);
console.log(`download: ${bytes.length} bytes, ${video.headers.get("content-type")}`);
console.log("done: create check-result balance download");
