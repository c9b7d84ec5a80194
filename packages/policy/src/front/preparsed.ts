// Policy documents parsed ahead of time, by name (front/source.ts, `preparse`): each a JSON
// text that a SourceFile uses in place of parsing the YAML, only for exactly the text it
// was made from. Empty in dist/; in the CLI's bundle, tools/bundle.mjs puts the built-in
// policies here, parsed at build time by the code it bundles.
export const PREPARSED: Readonly<Record<string, string>> = {};
