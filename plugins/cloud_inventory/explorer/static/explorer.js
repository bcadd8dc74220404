// The explorer's little JavaScript: the pages work without it; with it, search answers as you type.
"use strict";
