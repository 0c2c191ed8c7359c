/**
 * `emr contacts …` (docs/CLI.md § contacts, docs/SHARING.md § 8): the contact book.
 * `emr contacts` alone lists. Assembly only.
 */
import { defineCommand } from '../spec.js';
import { contactsAccept } from './accept.js';
import { contactsForget } from './forget.js';
import { contactsList, runContactsList } from './list.js';
import { contactsName } from './name.js';
import { contactsShow } from './show.js';

export const contacts = defineCommand({
  name: 'contacts',
  summary: 'the encryption keys of other parties, pinned on first use (list, show, accept, name, forget)',
  examples: ['emr contacts', 'emr contacts accept 0xAbc…'],
  subcommands: [contactsList, contactsShow, contactsAccept, contactsName, contactsForget],
  run: runContactsList,
});
