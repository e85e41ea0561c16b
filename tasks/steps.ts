import type { Step } from "../lib/step.ts";
import { factsStep } from "./01_facts.ts";
import { dockerStep } from "./02_docker.ts";
import { firewallStep } from "./03_firewall.ts";
import { apacheStep } from "./04_apache.ts";
import { exporterStep } from "./05_exporter.ts";
import { prometheusStep } from "./06_prometheus.ts";
import { traefikStep } from "./07_traefik.ts";

/** The rollout, in order. */
export const deploySteps: Step[] = [
  factsStep,
  dockerStep,
  firewallStep,
  apacheStep,
  exporterStep,
  prometheusStep,
  traefikStep,
];
