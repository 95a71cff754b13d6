import {describe, expect, it} from 'vitest'

import {isRootUser, ownerFromDatabases} from '../../../../src/engine/executor/docker/job-user.js'

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nweb:x:33:44::/var/www:/bin/false\n'
const GROUP = 'root:x:0:\nstaff:x:50:\nweb:x:44:\n'

describe('the owner of a job user', () => {
  it('reads names from the databases and numbers as they are', () => {
    expect(ownerFromDatabases('app', PASSWD, GROUP)).toEqual({uid: 1000, gid: 1000})
    expect(ownerFromDatabases('web', PASSWD, GROUP)).toEqual({uid: 33, gid: 44})
    expect(ownerFromDatabases('app:staff', PASSWD, GROUP)).toEqual({uid: 1000, gid: 50})
    expect(ownerFromDatabases('web:7', PASSWD, GROUP)).toEqual({uid: 33, gid: 7})
    expect(ownerFromDatabases('1234:staff', PASSWD, GROUP)).toEqual({uid: 1234, gid: 50})
    expect(ownerFromDatabases('1234', '', '')).toEqual({uid: 1234, gid: 1234})
  })

  it('refuses a name the image does not define, saying which', () => {
    expect(() => ownerFromDatabases('nobody', PASSWD, GROUP)).toThrow(`user "nobody" is not in the image's /etc/passwd`)
    expect(() => ownerFromDatabases('app:wheel', PASSWD, GROUP)).toThrow(`group "wheel" is not in the image's /etc/group`)
    // A prefix of a name is not the name.
    expect(() => ownerFromDatabases('ap', PASSWD, GROUP)).toThrow('user "ap"')
  })

  it('tells root by name or number', () => {
    for (const user of ['', 'root', '0', '0:0', 'root:staff']) expect(isRootUser(user)).toBe(true)
    for (const user of ['app', '1000', '1000:0', 'rooter']) expect(isRootUser(user)).toBe(false)
  })
})
