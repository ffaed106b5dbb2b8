// Plain script, served from the package: no framework and nothing fetched from outside.
"use strict";
