import type { Step } from "../lib/step.ts";
import { factsStep } from "./01_facts.ts";

/** The rollout, in order. */
export const deploySteps: Step[] = [factsStep];
