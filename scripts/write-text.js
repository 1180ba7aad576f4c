#!/usr/bin/env node
/**
 * @file Writes data/tapegrad-tutorial.txt, the text the character-level language models train on by
 * default (`tapegrad train --model lstm --dataset text`): the project's own prose, docs/tutorial.md
 * first, then README.md and the other pages of docs/ in name order, with the code blocks, tables,
 * HTML and markdown markup taken out and each paragraph on one line.
 *
 * Note [the shipped text is a snapshot]: the text is data, like data/digits.csv.gz. Every default
 * run's numbers (its vocabulary, its losses) follow from it, so it changes only when someone runs
 * this script on purpose (`node scripts/write-text.js`), not with every edit of the docs. The
 * script is deterministic (same docs, same bytes); tests/family-text.test.ts checks that, checks
 * the stripping on a fixed page, and checks that the shipped file is the prose it should be.
 *
 * Usage: node scripts/write-text.js [--check]   (--check: exit 1 when the shipped file differs)
 */
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'data', 'tapegrad-tutorial.txt');

/** The pages, in order: the tutorial first, then the README, then the rest of docs/ by name. */
function sourcePages(root) {
  const docs = path.join(root, 'docs');
  const rest = fs
    .readdirSync(docs)
    .filter((f) => f.endsWith('.md') && f !== 'tutorial.md')
    .sort();
  return [path.join(docs, 'tutorial.md'), path.join(root, 'README.md'), ...rest.map((f) => path.join(docs, f))];
}

/** Inline markdown to plain text: images dropped, links to their text, code spans and emphasis unwrapped, HTML tags removed. */
function inline(s) {
  return s
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\[[^\]]*\]/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`+([^`]*)`+/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[\s(])[*_]([^*_\s][^*_]*?)[*_](?=[\s).,;:!?]|$)/g, '$1$2')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ')
    .trim();
}

/** One markdown page to its prose paragraphs (each one line). */
function prose(markdown) {
  const paragraphs = [];
  let current = [];
  const flush = () => {
    const text = inline(current.join(' '));
    if (/[A-Za-z]/.test(text)) paragraphs.push(text);
    current = [];
  };
  let fence = null;
  let inHtmlComment = false;
  for (const raw of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trimEnd();
    if (fence !== null) {
      if (line.trim().startsWith(fence)) fence = null;
      continue;
    }
    const open = /^\s*(```+|~~~+)/.exec(line);
    if (open) {
      flush();
      fence = open[1];
      continue;
    }
    if (inHtmlComment) {
      if (line.includes('-->')) inHtmlComment = false;
      continue;
    }
    if (/^\s*<!--/.test(line)) {
      if (!line.includes('-->')) inHtmlComment = true;
      continue;
    }
    const t = line.trim();
    if (t === '' || /^\|/.test(t) || /^<\/?[a-zA-Z][^>]*>$/.test(t) || /^(-{3,}|\*{3,}|_{3,})$/.test(t) || /^ {4,}\S/.test(line)) {
      flush();
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(t);
    if (heading) {
      flush();
      current.push(heading[1].replace(/\s+#+$/, ''));
      flush();
      continue;
    }
    const item = /^(?:[-*+]|\d+[.)])\s+(.*)$/.exec(t);
    if (item) {
      flush();
      current.push(item[1]);
      continue;
    }
    current.push(t.replace(/^>\s?/, ''));
  }
  flush();
  return paragraphs;
}

/** The whole text from the pages under `root`: paragraphs separated by blank lines, ending in one newline. */
function writeText(root = ROOT) {
  const paragraphs = [];
  for (const page of sourcePages(root)) paragraphs.push(...prose(fs.readFileSync(page, 'utf8')));
  return paragraphs.join('\n\n') + '\n';
}

module.exports = { prose, inline, writeText, sourcePages, OUT };

if (require.main === module) {
  const text = writeText();
  if (process.argv.includes('--check')) {
    const shipped = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
    if (shipped !== text) {
      console.error(`${path.relative(ROOT, OUT)} differs from what scripts/write-text.js writes from the docs now`);
      process.exit(1);
    }
    console.log(`${path.relative(ROOT, OUT)} is up to date (${Buffer.byteLength(text)} bytes)`);
  } else {
    fs.writeFileSync(OUT, text);
    console.log(`wrote ${path.relative(ROOT, OUT)}: ${Buffer.byteLength(text)} bytes, ${text.split('\n\n').length} paragraphs`);
  }
}
