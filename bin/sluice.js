#!/usr/bin/env -S node --max-semi-space-size=64
import { main } from '../dist/bundle/cli.mjs'

process.exitCode = await main(process.argv.slice(2))
