// protocolkit partner graph: the anywidget front end.
// Appended to the vendored cytoscape bundle by protocolkit/ui/graph.py, which turns the
// bundle's default export into `const __pkCytoscape = ...;`. Everything the graph
// shows (nodes, arrows, colours, positions) comes from Python; a tap is sent back to
// Python through the `selected` traitlet, and Python answers with the details.

const PK_STYLE = [
  { selector: "node", style: {
      "label": "data(label)", "text-wrap": "wrap", "text-max-width": "data(textWidth)",
      "font-family": "Helvetica, Arial, sans-serif", "font-size": "data(fontSize)", "font-weight": 600,
      "color": "#1d2731", "text-halign": "data(halign)", "text-valign": "data(valign)",
      "text-margin-x": "data(mx)", "text-margin-y": "data(my)",
      "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": "2px",
      "background-color": "data(fill)", "border-color": "data(line)", "border-width": 3,
      "width": "data(size)", "height": "data(size)" } },
  { selector: "node.team", style: { "shape": "round-rectangle" } },
  { selector: "edge", style: {
      "curve-style": "bezier", "target-arrow-shape": "triangle", "arrow-scale": 1.3,
      "width": "data(width)", "line-color": "data(colour)", "target-arrow-color": "data(colour)",
      "opacity": 0.8 } },
  { selector: "edge.minimum", style: { "line-style": "dashed" } },
  { selector: ".faded", style: { "opacity": 0.12, "text-opacity": 0.5 } },
  { selector: "node.chosen", style: { "border-width": 7, "border-color": "#111111" } },
  { selector: "edge.chosen", style: { "opacity": 1, "z-index": 10, "line-color": "#111111",
      "target-arrow-color": "#111111" } },
];

function pkRender({ model, el }) {
  el.classList.add("pk-graph");
  const box = document.createElement("div");
  box.className = "pk-graph-canvas";
  // cytoscape needs a container with a real height; a percentage of an unsized parent is 0.
  box.style.height = model.get("height");
  el.appendChild(box);

  // Start with the positions Python computed (the preset layout): it needs no size, so it
  // works even when Voila renders the widget before the page has laid it out.
  const cy = __pkCytoscape({
    container: box, elements: model.get("elements"), style: PK_STYLE,
    layout: { name: "preset", fit: false }, boxSelectionEnabled: false, autoungrabify: false,
    minZoom: 0.2, maxZoom: 3, wheelSensitivity: 0.3,
  });
  box._pkCy = cy;  // for the browser tests: positions to click at

  // cytoscape keeps where its container is on the page and forgets it only when the window, or
  // an element that was the container's ancestor when cytoscape started, scrolls. JupyterLab
  // renders the widget before attaching it to the notebook, so the notebook's own scrolling
  // panel is not among them: once the notebook scrolled, a click was read against the old
  // position and landed beside the node (on an arrow). Forget the position on any scroll in
  // the page and just before every press, so a click is always read where the canvas is now.
  function forgetWhere() {
    const renderer = cy.renderer && cy.renderer();
    if (renderer && renderer.invalidateContainerClientCoordsCache) renderer.invalidateContainerClientCoordsCache();
    else cy.resize();
  }
  const PRESSES = ["mousedown", "pointerdown", "touchstart", "wheel"];
  document.addEventListener("scroll", forgetWhere, { capture: true, passive: true });
  PRESSES.forEach((type) => el.addEventListener(type, forgetWhere, { capture: true, passive: true }));

  let sized = false;
  function fit() { cy.resize(); cy.fit(undefined, 36); }
  // "ring": partners on an ellipse filling the canvas at zoom 1, so type keeps its real size
  // (a projector needs it), each label pointing outwards so neighbours' labels do not collide.
  // In a narrow column (a JupyterLab notebook beside its file browser) full-size labels would
  // run into each other at the top and bottom of the ring: the type is made smaller, step by
  // step, until no two labels overlap (never below 9px); the full name shows on hover.
  const FONT = 18, TEXT_WIDTH = 170, SMALLEST = 9;
  // Labels on the flanks run outwards, where a wide canvas has room: wider, they take fewer
  // lines, so more of them stack down each side before the type must shrink.
  const FLANK = 1.5;
  // Partners go round the ellipse at equal steps measured in label sizes: a step at the top
  // or bottom moves sideways (a label's width), one on the flanks moves down (a label's
  // height), so fewer partners sit at the top and bottom, where centred labels meet.
  function ringAngles(n, rx, ry, labelWidth, labelHeight) {
    const samples = 720, length = [0];
    let previous = [0, -ry];
    for (let k = 1; k <= samples; k++) {
      const t = (2 * Math.PI * k) / samples - Math.PI / 2;
      const point = [rx * Math.cos(t), ry * Math.sin(t)];
      length.push(length[k - 1] + Math.hypot((point[0] - previous[0]) / labelWidth,
                                             (point[1] - previous[1]) / labelHeight));
      previous = point;
    }
    const angles = [];
    let k = 0;
    for (let i = 0; i < n; i++) {
      const want = (length[samples] * i) / n;
      while (k < samples && length[k + 1] < want) k++;
      angles.push((2 * Math.PI * k) / samples - Math.PI / 2);
    }
    return angles;
  }
  function placeRing(font, rx, ry) {
    const scale = font / FONT;
    const nodes = cy.nodes().sort((a, b) => a.data("order") - b.data("order"));
    const angles = ringAngles(nodes.length, rx, ry, TEXT_WIDTH * scale, 3 * font);
    cy.batch(() => nodes.forEach((node, i) => {
      const angle = angles[i];
      const c = Math.cos(angle), s = Math.sin(angle);
      node.position({ x: rx * c, y: ry * s });
      const side = Math.abs(c) >= 0.45;  // labels beside on the flanks, above (below) at the top (bottom)
      node.data({ halign: side ? (c > 0 ? "right" : "left") : "center",
                  valign: side ? "center" : (s < 0 ? "top" : "bottom"),
                  mx: side ? (c > 0 ? 8 : -8) : 0, my: side ? 0 : (s < 0 ? -6 : 6),
                  fontSize: `${font}px`, textWidth: `${Math.round(TEXT_WIDTH * scale * (side ? FLANK : 1))}px` });
    }));
  }
  // How far the drawing (partners and their labels) runs past the canvas, across and down.
  function overflow(w, h) {
    const b = cy.nodes().boundingBox({ includeLabels: true, includeEdges: false, includeOverlays: false });
    const margin = 4;
    return [Math.max(0, b.x2 - (w / 2 - margin), (-w / 2 + margin) - b.x1),
            Math.max(0, b.y2 - (h / 2 - margin), (-h / 2 + margin) - b.y1)];
  }
  // The pairs of partners whose labels overlap (each label's box, as cytoscape draws it).
  function labelOverlaps() {
    const boxes = cy.nodes().map((node) => node.boundingBox({ includeNodes: false, includeEdges: false,
                                                              includeLabels: true, includeOverlays: false }));
    const found = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        if (a.w > 0 && b.w > 0 && a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) found.push([i, j]);
      }
    }
    return found;
  }
  function ring() {
    const w = box.clientWidth, h = box.clientHeight;
    let font = FONT, rx = Math.max(40, w / 2 - (TEXT_WIDTH + 40)), ry = Math.max(40, h / 2 - 80);
    for (let attempt = 0; attempt < 24; attempt++) {
      placeRing(font, rx, ry);
      const [across, down] = overflow(w, h);
      if ((across > 0.5 && rx > 40) || (down > 0.5 && ry > 40)) {  // pull the ring in to fit the labels
        rx = Math.max(40, rx - across);
        ry = Math.max(40, ry - down);
      } else if (font > SMALLEST && labelOverlaps().length) {       // then make the type smaller
        const previous = font;
        font = Math.max(SMALLEST, Math.floor(font * 0.9));
        const grow = (TEXT_WIDTH + 40) * (previous - font) / FONT;  // smaller labels leave room for a wider ring
        rx = Math.min(Math.max(40, w / 2 - 40), rx + grow);
        ry = Math.min(Math.max(40, h / 2 - 40), ry + grow / 3);
      } else {
        break;
      }
    }
    el.dataset.labelFont = String(font);
    cy.resize();
    cy.zoom(1);
    cy.pan({ x: w / 2, y: h / 2 });
    el.dataset.laidOut = "true";
  }
  // The full name of a partner on hover (a label may be shortened to two lines).
  cy.on("mouseover", "node", (evt) => { box.title = evt.target.data("name") || evt.target.data("label") || ""; });
  cy.on("mouseout", "node", () => { box.title = ""; });
  function layOut() {
    const name = model.get("layout_name");
    if (name === "ring") { ring(); return; }
    const options = name === "preset" ? { name: "preset", fit: false } : { name, fit: false, animate: false };
    if (name === "circle") options.sort = (a, b) => a.data("order") - b.data("order");
    if (name === "cose") options.randomize = false;
    cy.layout(options).run();
    fit();
    el.dataset.laidOut = "true";
  }
  // Run the real layout once the container has a size, and refit whenever it changes.
  const observer = new ResizeObserver((entries) => {
    const rect = entries[entries.length - 1].contentRect;
    if (rect.width < 1 || rect.height < 1) return;
    if (!sized || model.get("layout_name") === "ring") { sized = true; layOut(); } else { fit(); }
  });
  observer.observe(box);

  function highlight() {
    cy.batch(() => {
      cy.elements().removeClass("faded chosen");
      const chosen = model.get("selected") || {};
      let focus = null;
      if (chosen.kind === "partner") {
        const node = cy.getElementById(chosen.id);
        if (node.nonempty()) { focus = node.closedNeighborhood(); node.addClass("chosen"); }
      } else if (chosen.kind === "flow") {
        const edge = cy.edges().filter((e) => e.data("source") === chosen.from && e.data("target") === chosen.to);
        if (edge.nonempty()) { focus = edge.union(edge.connectedNodes()); edge.addClass("chosen"); }
      }
      if (focus) cy.elements().not(focus).addClass("faded");
    });
  }
  function choose(value) { model.set("selected", value); model.save_changes(); }
  cy.on("tap", "node", (evt) => choose({ kind: "partner", id: evt.target.id() }));
  cy.on("tap", "edge", (evt) => choose({ kind: "flow", from: evt.target.data("source"), to: evt.target.data("target") }));
  cy.on("tap", (evt) => { if (evt.target === cy) choose({}); });

  function replaceElements() {
    cy.batch(() => { cy.elements().remove(); cy.add(model.get("elements")); });
    if (sized) layOut();
    highlight();
  }
  model.on("change:elements", replaceElements);
  model.on("change:selected", highlight);
  model.on("change:layout_name", () => { if (sized) layOut(); });
  model.on("change:height", () => { box.style.height = model.get("height"); });
  highlight();

  return () => {
    observer.disconnect();
    document.removeEventListener("scroll", forgetWhere, { capture: true });
    PRESSES.forEach((type) => el.removeEventListener(type, forgetWhere, { capture: true }));
    cy.destroy();
  };
}

export default { render: pkRender };
