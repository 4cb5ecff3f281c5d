#!/usr/bin/env node
import { main } from '../dist/bundle/cli.mjs'

process.exitCode = await main(process.argv.slice(2))
