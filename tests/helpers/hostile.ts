/** Values an attacker or a typo could put in an inventory or a path (quoting tests, local and remote). */
export const HOSTILE: readonly string[] = [
  "a;touch /tmp/pwned",
  "$(touch /tmp/pwned)",
  "`touch /tmp/pwned`",
  "it's",
  'say "hi"',
  "two words",
  "line1\nline2",
  "back\\slash",
  "*",
  "-n",
  "",
  "tab\there",
  "ünïcödé ✓",
  "'; rm -rf / #",
];
