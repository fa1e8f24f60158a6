import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "./styles.css";
import { App } from "./App";
import { applyTheme, borrowParentFonts } from "./theme";

applyTheme(undefined); // light defaults until Streamlit sends its theme
borrowParentFonts();
createRoot(document.getElementById("root")!).render(<App />);
