// The SPARQL editor of the map page: CodeMirror 6 with the SPARQL legacy mode, bundled by build.mjs.
import { EditorView, basicSetup } from "codemirror";
import { keymap } from "@codemirror/view";
import { StreamLanguage } from "@codemirror/language";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";

/** Create an editor in `parent` holding `doc`; Ctrl/Cmd-Enter calls `onRun`. Returns {get, set}. */
export function createEditor(parent, doc, onRun) {
  const run = [{ key: "Mod-Enter", run: () => { onRun(); return true; } }];
  const view = new EditorView({ doc, parent, extensions: [keymap.of(run), basicSetup, StreamLanguage.define(sparql)] });
  return {
    get: () => view.state.doc.toString(),
    set: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    view,
  };
}
