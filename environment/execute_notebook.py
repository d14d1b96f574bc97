#!/usr/bin/python3
"""Executes one notebook with the tslab kernel and writes it as an HTML report.

Usage: execute_notebook.py NOTEBOOK HTML_OUT

Kernel output is echoed to this process's stdout/stderr while cells run, so a headless run
shows the training progress. When a cell fails, the cell's source and its error output go to
stderr (tslab reports errors as stderr text, which nbconvert's own message leaves out), the
exit status is 1 and no HTML is written. Run with Debian's /usr/bin/python3, where Jupyter lives.
"""
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter


class EchoingClient(NotebookClient):
    """A notebook client that also prints every stream output as it arrives."""

    def output(self, outs, msg, display_id, cell_index):
        if msg['msg_type'] == 'stream':
            stream = sys.stderr if msg['content'].get('name') == 'stderr' else sys.stdout
            stream.write(msg['content'].get('text', ''))
            stream.flush()
        return super().output(outs, msg, display_id, cell_index)


def failure_text(cell):
    """The failed cell's source and whatever it wrote to stderr or raised."""
    parts = [f'--- failing cell ---\n{cell.source}\n--- its error ---']
    for out in cell.get('outputs', []):
        if out.get('output_type') == 'stream' and out.get('name') == 'stderr':
            parts.append(out.get('text', ''))
        elif out.get('output_type') == 'error':
            parts.append(f"{out.get('ename', '')}: {out.get('evalue', '')}")
            parts.extend(out.get('traceback', []))
    return '\n'.join(parts)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    notebook_path, html_path = sys.argv[1], sys.argv[2]
    notebook = nbformat.read(notebook_path, as_version=4)
    client = EchoingClient(notebook, timeout=None, kernel_name='tslab',
                           resources={'metadata': {'path': '.'}})
    running = {}
    client.on_cell_start = lambda cell, cell_index: running.update(cell=cell, index=cell_index)
    try:
        client.execute()
    except CellExecutionError:
        sys.stderr.write(f'\n{notebook_path}: cell {running.get("index", -1) + 1} failed\n')
        if 'cell' in running:
            sys.stderr.write(failure_text(running['cell']) + '\n')
        sys.exit(1)
    html, _ = HTMLExporter().from_notebook_node(notebook)
    with open(html_path, 'w', encoding='utf-8') as out:
        out.write(html)


if __name__ == '__main__':
    main()
