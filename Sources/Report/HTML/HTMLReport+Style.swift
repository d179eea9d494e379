extension HTMLReport {
    /// Inline CSS: system fonts, a readable measure on a laptop, charts that shrink to the page, and print rules.
    /// (No `<` or `&` here: the document must stay well-formed XML.)
    static let stylesheet = """
        :root { color-scheme: light; }
        body { margin: 0; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif;
          color: #1a1a1a; background: #f4f5f7; line-height: 1.45; }
        header, main, footer { max-width: 1320px; margin: 0 auto; padding: 0 24px; }
        header { padding-top: 20px; }
        h1 { font-size: 26px; margin: 0 0 4px; overflow-wrap: anywhere; }
        h2 { font-size: 19px; margin: 0 0 12px; }
        .subtitle { margin: 0 0 10px; color: #555; }
        nav.toc ul { list-style: none; padding: 0; margin: 8px 0 16px; display: flex; flex-wrap: wrap; gap: 6px 14px; }
        nav.toc a { color: #0b5cad; text-decoration: none; font-size: 14px; }
        nav.toc a:hover { text-decoration: underline; }
        section { background: #fff; border: 1px solid #e1e4e8; border-radius: 8px; padding: 16px 20px; margin: 0 0 18px; }
        figure { margin: 0; display: inline-block; vertical-align: top; max-width: 100%; }
        figure.wide { display: block; overflow-x: auto; }
        figure svg { max-width: 100%; height: auto; display: block; }
        figure.wide svg { max-width: none; }
        figcaption { font-size: 13px; color: #555; margin-top: 4px; }
        .row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
        .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 12px; }
        table { border-collapse: collapse; font-size: 14px; }
        th, td { padding: 5px 12px; border-bottom: 1px solid #e6e6e6; text-align: left; vertical-align: top; }
        thead th { border-bottom: 2px solid #c8ccd0; font-weight: 600; }
        tbody th { font-weight: 500; }
        tfoot th, tfoot td { border-top: 2px solid #c8ccd0; border-bottom: none; font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.mono { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 13px; }
        table.metrics td.num { font-size: 16px; }
        table.settings td { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 13px;
          overflow-wrap: anywhere; max-width: 70ch; }
        table.network { width: 100%; max-width: 900px; }
        td.share { width: 220px; }
        td.share .bar { display: block; height: 10px; background: #0072B2; border-radius: 2px; margin-top: 5px; }
        footer { color: #777; font-size: 12px; padding-bottom: 24px; }
        .empty { color: #777; }
        @media print {
          body { background: #fff; }
          nav.toc { display: none; }
          section { border: none; padding: 0; margin-bottom: 12px; break-inside: avoid; }
          figure.wide { overflow: visible; }
          figure.wide svg { max-width: 100%; }
        }
        """
}
