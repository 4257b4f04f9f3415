#!/usr/bin/env node
/**
 * The `rotor` command. Each subcommand lives in its own `*-command.ts` file and registers
 * itself on the program here.
 */
import { Command } from 'commander';
import { VERSION } from '../version.js';

const program = new Command();
program
  .name('rotor')
  .description('A reliable, OpenAI-compatible gateway over many rate-limited LLM endpoints.')
  .version(VERSION);

// Subcommands (each file exports `register(program)`):

await program.parseAsync(process.argv);
