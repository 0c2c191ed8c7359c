/**
 * `emr contacts …` (docs/CLI.md § contacts, docs/SHARING.md § 8): the contact book.
 * `emr contacts` alone lists (contacts-list.ts); its subcommands are the files beside it.
 */
import { defineCommand } from '../spec.js';
import { contactsAccept } from './contacts-accept.js';
import { contactsForget } from './contacts-forget.js';
import { contactsList, runContactsList } from './contacts-list.js';
import { contactsName } from './contacts-name.js';
import { contactsShow } from './contacts-show.js';

export const contacts = defineCommand({
  name: 'contacts',
  summary: 'the encryption keys of other parties, pinned on first use (list, show, accept, name, forget)',
  examples: ['emr contacts', 'emr contacts accept 0xAbc…'],
  subcommands: [contactsList, contactsShow, contactsAccept, contactsName, contactsForget],
  run: runContactsList,
});
