/** Import first (`import '../support/vscode/register.js'`), then import modules that use `vscode` dynamically. */
import { register } from 'node:module';

register('./hooks.js', import.meta.url);
