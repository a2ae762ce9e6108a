"""iPXE: which script a node gets, rendering it safely, and render-on-write."""
