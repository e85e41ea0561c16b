import type { Step } from "./step.ts";
import { factsStep } from "./facts.ts";
import { dockerStep } from "./docker.ts";
import { firewallStep } from "./firewall.ts";
import { apacheStep } from "./apache.ts";
import { exporterStep } from "./exporter.ts";
import { prometheusStep } from "./prometheus.ts";
import { traefikStep } from "./traefik.ts";
import { serviceAccountStep } from "./service_account.ts";

/** The rollout, in order. */
export const deploySteps: Step[] = [
  factsStep,
  dockerStep,
  serviceAccountStep,
  firewallStep,
  apacheStep,
  exporterStep,
  prometheusStep,
  traefikStep,
];
