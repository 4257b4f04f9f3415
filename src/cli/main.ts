#!/usr/bin/env node
/**
 * The `rotor` command. Each subcommand lives in its own `*-command.ts` file and registers
 * itself on the program here.
 */
import { Command } from 'commander';
import { register as registerDiscover } from '../registry/discover-command.js';
import { register as registerProbe } from '../registry/probe-command.js';
import { register as registerRank } from '../registry/rank-command.js';
import { register as registerStatus } from '../registry/status-command.js';
import { register as registerServe } from '../server/serve-command.js';
import { register as registerSim } from '../sim/sim-command.js';
import { VERSION } from '../version.js';
import { register as registerBench } from './bench-command.js';

const program = new Command();
program
  .name('rotor')
  .description('A reliable, OpenAI-compatible gateway over many rate-limited LLM endpoints.')
  .version(VERSION);

// Subcommands (each file exports `register(program)`):
registerServe(program);
registerSim(program);
registerDiscover(program);
registerProbe(program);
registerRank(program);
registerStatus(program);
registerBench(program);

await program.parseAsync(process.argv);
