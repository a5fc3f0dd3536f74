import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ValidationError, parseExperimentText } from "../../../core/index.js";
import type { GithubTaskSpec, SlackTaskSpec } from "../../../core/index.js";

describe("secrets from Kubernetes Secrets (valueFrom)", () => {
  it("turns valueFrom.secretKeyRef into a reference resolved at run time, never a value", () => {
    const experiment = parseExperimentText(
      `spec:
  - task: slack
    with:
      url:
        valueFrom:
          secretKeyRef: { name: slack-webhook, key: url, namespace: team-a }
  - task: github
    with:
      owner: acme
      repo: shop
      token:
        valueFrom:
          secretKeyRef: { name: gh, key: token }
`,
      "<test>",
    );
    assert.equal((experiment.tasks[0]?.spec as SlackTaskSpec).url, "${secret:team-a/slack-webhook/url}");
    assert.equal((experiment.tasks[1]?.spec as GithubTaskSpec).token, "${secret:gh/token}");
  });

  it("names the field and the line of a malformed valueFrom", () => {
    const text = `spec:
  - task: github
    with:
      owner: acme
      repo: shop
      token:
        valueFrom:
          configMapKeyRef: { name: gh, key: token }
`;
    assert.throws(
      () => parseExperimentText(text, "exp.yaml"),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.match(error.describe(), /exp\.yaml:8:\d+: .*spec\[0\]\.with\.token\.valueFrom\.configMapKeyRef/);
        return true;
      },
    );
  });
});
