// An independent verifier for the signatures OrderGate sends: the Standard Webhooks reference
// implementation for JavaScript (npm "standardwebhooks"), not code of this project.
// stdin: {"secret": "whsec_...", "headers": {...}, "body": "..."}; stdout: "ok" or the error.
import { Webhook } from "standardwebhooks";

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { secret, headers, body } = JSON.parse(input);
  try {
    new Webhook(secret).verify(body, headers);
    process.stdout.write("ok");
  } catch (err) {
    process.stdout.write(String(err && err.message ? err.message : err));
  }
});
