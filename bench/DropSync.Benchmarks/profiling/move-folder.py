# Times POST /files/move of a folder of N files (plus the folder: N+1 entries) against a given server build.
# usage: python3 move-folder.py <DropSync.Api.dll> [files=5000] [rounds=4]
import sys, os, json, time, socket, subprocess, tempfile, shutil, urllib.request, uuid, resource
dll=sys.argv[1]; n=int(sys.argv[2]) if len(sys.argv)>2 else 5000; rounds=int(sys.argv[3]) if len(sys.argv)>3 else 4
s=socket.socket(); s.bind(('127.0.0.1',0)); port=s.getsockname()[1]; s.close()
root=tempfile.mkdtemp(prefix='move-folder-'); os.makedirs(root+'/data'); os.makedirs(root+'/keys')
base=f'http://127.0.0.1:{port}'
p=subprocess.Popen(['dotnet',dll,'--urls',base,'--data',root+'/data','--DropSync:KeysDirectory',root+'/keys','--DropSync:PasswordIterations','1000',
  '--DropSync:RateLimits:LoginsPerAddressPerMinute','1000000','--DropSync:RateLimits:RegistrationsPerAddressPerHour','1000000',
  '--DropSync:RateLimits:ApiBurstPerDevice','1000000','--DropSync:RateLimits:ApiRequestsPerSecondPerDevice','1000000'],
  cwd=os.path.dirname(dll),stdout=open(os.path.join(root,'server.log'),'w'),stderr=subprocess.STDOUT)
def req(path,body=None,headers={},ctype='application/json'):
    data=body if isinstance(body,(bytes,type(None))) else json.dumps(body).encode()
    r=urllib.request.Request(base+path,data=data,headers={**headers,**({'Content-Type':ctype} if data is not None else {})},method='POST' if data is not None else 'GET')
    try:
        with urllib.request.urlopen(r,timeout=600) as resp: return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        print(path, e.code, e.read()[:500]); raise
try:
    for i in range(600):
        try: urllib.request.urlopen(base+'/healthz',timeout=2); break
        except Exception: time.sleep(0.2)
    email=f'm{uuid.uuid4().hex[:8]}@example.com'; pw='correct horse battery staple'
    req('/auth/register',{'email':email,'password':pw})
    tok=req('/auth/login',{'email':email,'password':pw,'device_name':'move'})
    token=tok.get('token') or tok.get('access_token')
    H={'Authorization':'Bearer '+token}
    for start in range(0,n,1000):
        b='b'+uuid.uuid4().hex; parts=[]
        files=[{'path':f'/folder/f{i:05d}.txt','mode':'add'} for i in range(start,min(n,start+1000))]
        parts.append(f'--{b}\r\nContent-Disposition: form-data; name="manifest"\r\nContent-Type: application/json\r\n\r\n'.encode()+json.dumps({'files':files}).encode()+b'\r\n')
        for i,f in enumerate(files):
            parts.append(f'--{b}\r\nContent-Disposition: form-data; name="file{i}"; filename="x"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()+f'content {f["path"]} {uuid.uuid4()}'.encode()+b'\r\n')
        parts.append(f'--{b}--\r\n'.encode())
        res=req('/files/upload_batch',b''.join(parts),H,'multipart/form-data; boundary='+b)
        bad=[e for e in res['entries'] if e['status']!=200]
        assert not bad, bad[:2]
    def cpu():
        f=open(f'/proc/{p.pid}/stat').read().rsplit(')',1)[1].split(); return (int(f[11])+int(f[12]))*10
    names=['/folder']+[f'/renamed{i}' for i in range(1,rounds)]+['/folder']
    for r in range(rounds):
        c0=cpu(); t=time.perf_counter()
        req('/files/move',{'from_path':names[r],'to_path':names[r+1]},H)
        ms=(time.perf_counter()-t)*1000; c1=cpu()
        print(f'move {names[r]} -> {names[r+1]} ({n+1} entries): {ms:.0f} ms, server CPU {c1-c0} ms')
finally:
    p.kill(); p.wait(); shutil.rmtree(root,ignore_errors=True)
