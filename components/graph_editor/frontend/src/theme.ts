// Streamlit's theme as CSS variables, so the whole editor (and React Flow's own parts) follow light and dark.
import type { Theme } from "./types";

const LIGHT = { primaryColor: "#ff4b4b", backgroundColor: "#ffffff", secondaryBackgroundColor: "#f0f2f6", textColor: "#31333f" };
const DARK = { primaryColor: "#ff4b4b", backgroundColor: "#0e1117", secondaryBackgroundColor: "#262730", textColor: "#fafafa" };
const FALLBACK_FONTS = '"Source Sans Pro", "Source Sans 3", "Source Sans", system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export function isDark(theme: Theme | undefined): boolean {
  return theme?.base === "dark";
}

export function applyTheme(theme: Theme | undefined): void {
  const base = isDark(theme) ? DARK : LIGHT;
  const style = document.documentElement.style;
  style.setProperty("--nl-primary", theme?.primaryColor || base.primaryColor);
  style.setProperty("--nl-bg", theme?.backgroundColor || base.backgroundColor);
  style.setProperty("--nl-bg2", theme?.secondaryBackgroundColor || base.secondaryBackgroundColor);
  style.setProperty("--nl-text", theme?.textColor || base.textColor);
  style.setProperty("--nl-font", theme?.font ? `${theme.font}, ${FALLBACK_FONTS}` : FALLBACK_FONTS);
  document.documentElement.dataset.theme = isDark(theme) ? "dark" : "light";
}

// The frame does not get the page's web fonts; when the page is same-origin (Streamlit's own server),
// copy its @font-face rules so the editor reads in the same typeface. Any failure leaves the fallbacks.
export function borrowParentFonts(): void {
  try {
    if (window.parent === window) return;
    const rules: string[] = [];
    for (const sheet of Array.from(window.parent.document.styleSheets)) {
      const base = sheet.href ?? window.parent.document.baseURI;
      let cssRules: CSSRuleList;
      try {
        cssRules = sheet.cssRules;
      } catch {
        continue; // a cross-origin sheet
      }
      for (const rule of Array.from(cssRules)) {
        if (!rule.cssText.startsWith("@font-face")) continue;
        // Make the font URLs absolute: they were relative to the page's sheet, not to this frame.
        rules.push(rule.cssText.replace(/url\("?([^")]+)"?\)/g, (_m, url: string) => `url("${new URL(url, base).href}")`));
      }
    }
    if (rules.length === 0) return;
    const style = document.createElement("style");
    style.textContent = rules.join("\n");
    document.head.appendChild(style);
  } catch {
    // Cross-origin parent: keep the fallback fonts.
  }
}
