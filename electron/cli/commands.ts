/**
 * Every `moq-studio` sub-command, in the order `--help` lists them.
 */
import type { Command } from "./command";
import { announcedCommand } from "./announced";
import { publishCommand } from "./publish";
import { recordCommand } from "./record";
import { relayCommand } from "./relay";
import { webCommand } from "./web";

/** The registered sub-commands. */
export const commands: readonly Command[] = [announcedCommand, publishCommand, recordCommand, relayCommand, webCommand];
